/*
 * FMI 3.0 platform types, written for FMU Gateway from the FMI 3.0 specification
 * (section 2.2.2, "Platform Dependent Definitions"). Same file name, type names and
 * meanings as the standard's header, so source-code FMUs that include it compile here.
 */
#ifndef fmi3PlatformTypes_h
#define fmi3PlatformTypes_h

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef void *fmi3Instance;            /* an instance of the model */
typedef void *fmi3InstanceEnvironment; /* the importer's pointer, handed back in callbacks */
typedef void *fmi3FMUState;            /* a saved internal state of the FMU */
typedef uint32_t fmi3ValueReference;

typedef float fmi3Float32;
typedef double fmi3Float64;
typedef int8_t fmi3Int8;
typedef uint8_t fmi3UInt8;
typedef int16_t fmi3Int16;
typedef uint16_t fmi3UInt16;
typedef int32_t fmi3Int32;
typedef uint32_t fmi3UInt32;
typedef int64_t fmi3Int64;
typedef uint64_t fmi3UInt64;
typedef bool fmi3Boolean; /* C99 bool in FMI 3, unlike the int of FMI 2 */
typedef char fmi3Char;
typedef const fmi3Char *fmi3String;
typedef uint8_t fmi3Byte;
typedef const fmi3Byte *fmi3Binary;
typedef bool fmi3Clock;

#define fmi3True true
#define fmi3False false
#define fmi3ClockActive true
#define fmi3ClockInactive false

#endif /* fmi3PlatformTypes_h */
