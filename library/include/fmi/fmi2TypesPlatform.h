/*
 * FMI 2.0 platform types, written for FMU Gateway from the FMI 2.0 specification
 * (section 2.1.2, "Platform dependent definitions"). Same file name, type names and
 * meanings as the standard's header, so source-code FMUs that include it compile here.
 */
#ifndef fmi2TypesPlatform_h
#define fmi2TypesPlatform_h

/* The platform tag returned by fmi2GetTypesPlatform(): the standard's default types. */
#define fmi2TypesPlatform "default"

typedef void *fmi2Component;            /* an instance of the model */
typedef void *fmi2ComponentEnvironment; /* the importer's pointer, handed back in callbacks */
typedef void *fmi2FMUstate;             /* a saved internal state of the FMU */
typedef unsigned int fmi2ValueReference;
typedef double fmi2Real;
typedef int fmi2Integer;
typedef int fmi2Boolean; /* an int in FMI 2, not C99 bool */
typedef char fmi2Char;
typedef const fmi2Char *fmi2String;
typedef char fmi2Byte;

#define fmi2True 1
#define fmi2False 0

#endif /* fmi2TypesPlatform_h */
