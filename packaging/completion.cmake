# cmake -DLBCTL=<lbctl> -DOUT=<file> -P completion.cmake: writes
# `lbctl completion bash` to OUT, replacing it only when lbctl succeeded.
execute_process(COMMAND ${LBCTL} completion bash OUTPUT_FILE ${OUT}.tmp RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  file(REMOVE ${OUT}.tmp)
  message(FATAL_ERROR "${LBCTL} completion bash failed: ${rc}")
endif()
file(RENAME ${OUT}.tmp ${OUT})
