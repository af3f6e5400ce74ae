/* Feedthrough: <T>_output = <T>_input for every variable type. */
#include <string.h>
#include "model.h"

static ModelStatus calculate_values(ModelInstance *m) {
    ModelVariables *v = &m->v;
    v->Float32_output = v->Float32_input;
    v->Float64_output = v->Float64_input;
    v->Int8_output = v->Int8_input;
    v->UInt8_output = v->UInt8_input;
    v->Int16_output = v->Int16_input;
    v->UInt16_output = v->UInt16_input;
    v->Int32_output = v->Int32_input;
    v->UInt32_output = v->UInt32_input;
    v->Int64_output = v->Int64_input;
    v->UInt64_output = v->UInt64_input;
    v->Boolean_output = v->Boolean_input;
    v->Float64_tunable_output = v->Float64_tunable_parameter;
    /* Copy owned String / Binary values only when they differ, so repeated evaluations do not allocate. */
    if (v->String_output == NULL || strcmp(v->String_output, v->String_input != NULL ? v->String_input : "") != 0) {
        if (model_set_string(m, &v->String_output, v->String_input) != MODEL_OK) return MODEL_ERROR;
    }
    if (v->Binary_output.data == NULL || v->Binary_output.size != v->Binary_input.size ||
        (v->Binary_input.size > 0 && memcmp(v->Binary_output.data, v->Binary_input.data, v->Binary_input.size) != 0)) {
        if (model_set_binary(m, &v->Binary_output, v->Binary_input.data, v->Binary_input.size) != MODEL_OK)
            return MODEL_ERROR;
    }
    return MODEL_OK;
}

const ModelHooks model_hooks = {
    .calculate_values = calculate_values,
};
