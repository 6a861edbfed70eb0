# Generates C++ (and the gRPC service) from Waggle's own .proto files in proto/.
set(WAGGLE_PROTO_DIR ${CMAKE_SOURCE_DIR}/proto)
set(WAGGLE_PROTO_OUT ${CMAKE_BINARY_DIR}/generated)
file(MAKE_DIRECTORY ${WAGGLE_PROTO_OUT})
find_program(GRPC_CPP_PLUGIN grpc_cpp_plugin REQUIRED)

set(WAGGLE_PROTOS
  google/rpc/status.proto
  opentelemetry/proto/common/v1/common.proto
  opentelemetry/proto/resource/v1/resource.proto
  opentelemetry/proto/trace/v1/trace.proto
  opentelemetry/proto/collector/trace/v1/trace_service.proto)
set(WAGGLE_GRPC_PROTOS opentelemetry/proto/collector/trace/v1/trace_service.proto)

set(waggle_proto_srcs)
foreach(proto ${WAGGLE_PROTOS})
  string(REGEX REPLACE "\\.proto$" "" base ${proto})
  set(outputs ${WAGGLE_PROTO_OUT}/${base}.pb.cc ${WAGGLE_PROTO_OUT}/${base}.pb.h)
  set(grpc_flags)
  if(proto IN_LIST WAGGLE_GRPC_PROTOS)
    list(APPEND outputs ${WAGGLE_PROTO_OUT}/${base}.grpc.pb.cc ${WAGGLE_PROTO_OUT}/${base}.grpc.pb.h)
    set(grpc_flags --grpc_out=${WAGGLE_PROTO_OUT} --plugin=protoc-gen-grpc=${GRPC_CPP_PLUGIN})
  endif()
  add_custom_command(
    OUTPUT ${outputs}
    COMMAND protobuf::protoc -I${WAGGLE_PROTO_DIR} --cpp_out=${WAGGLE_PROTO_OUT} ${grpc_flags}
            ${WAGGLE_PROTO_DIR}/${proto}
    DEPENDS ${WAGGLE_PROTO_DIR}/${proto}
    COMMENT "protoc ${proto}")
  list(APPEND waggle_proto_srcs ${outputs})
endforeach()

add_library(waggle_proto STATIC ${waggle_proto_srcs})
target_include_directories(waggle_proto SYSTEM PUBLIC ${WAGGLE_PROTO_OUT})
target_link_libraries(waggle_proto PUBLIC protobuf::libprotobuf gRPC::grpc++)
target_compile_options(waggle_proto PRIVATE -w)
