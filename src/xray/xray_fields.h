// Field names X-Ray data is stored under. X-Ray's own http/annotation/user fields use the
// names a Honeycomb user would query; X-Ray-only facts are under "xray.".
#pragma once

namespace waggle::xray::fields {

inline constexpr char kDocument[] = "xray.document";  // the document as sent (top level only)
inline constexpr char kType[] = "xray.type";          // "segment" or "subsegment"
inline constexpr char kNamespace[] = "xray.namespace";
inline constexpr char kOrigin[] = "xray.origin";
inline constexpr char kInProgress[] = "xray.in_progress";
inline constexpr char kError[] = "xray.error";
inline constexpr char kFault[] = "xray.fault";
inline constexpr char kThrottle[] = "xray.throttle";
inline constexpr char kUser[] = "xray.user";
inline constexpr char kCause[] = "xray.cause";
inline constexpr char kAnnotationPrefix[] = "annotation.";
inline constexpr char kMetadataPrefix[] = "metadata.";
inline constexpr char kHttpMethod[] = "http.method";
inline constexpr char kHttpUrl[] = "http.url";
inline constexpr char kHttpUserAgent[] = "http.user_agent";
inline constexpr char kHttpClientIp[] = "http.client_ip";
inline constexpr char kHttpStatus[] = "http.status_code";
inline constexpr char kHttpContentLength[] = "http.response.content_length";
inline constexpr char kExceptionMessage[] = "exception.message";
inline constexpr char kExceptionType[] = "exception.type";

}  // namespace waggle::xray::fields
