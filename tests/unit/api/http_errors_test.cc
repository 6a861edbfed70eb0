// The one status table: each kind of error gets its answer on every surface.
#include "api/http_errors.h"

#include <gtest/gtest.h>

#include "common/errors.h"

namespace waggle::api {
namespace {

namespace http = boost::beast::http;

TEST(HttpErrorsTest, TooLargeAndDiskFullAreTheirOwnAnswers) {
  const ErrorAnswer& too_large = AnswerFor(TooLargeError("body over 1 MiB"));
  EXPECT_EQ(too_large.http, http::status::payload_too_large);
  EXPECT_EQ(too_large.ingest_http, http::status::payload_too_large);
  EXPECT_EQ(too_large.grpc, absl::StatusCode::kResourceExhausted);
  EXPECT_FALSE(too_large.retry);  // sending it again will not help

  const ErrorAnswer& disk_full = AnswerFor(DiskFullError("no space left on device"));
  EXPECT_EQ(disk_full.http, http::status::insufficient_storage);
  // OTLP exporters retry 503 and UNAVAILABLE, not 507: ingest keeps the spans coming.
  EXPECT_EQ(disk_full.ingest_http, http::status::service_unavailable);
  EXPECT_EQ(disk_full.grpc, absl::StatusCode::kUnavailable);
  EXPECT_EQ(disk_full.xray_type, "ServiceUnavailableException");
  EXPECT_TRUE(disk_full.retry);

  // Other resource exhaustion and overload: retry later.
  EXPECT_EQ(HttpStatusFor(absl::ResourceExhaustedError("x")), http::status::service_unavailable);
  EXPECT_EQ(HttpStatusFor(absl::UnavailableError("over budget")), http::status::service_unavailable);
  EXPECT_EQ(AnswerFor(absl::UnavailableError("over budget")).xray_http, http::status::too_many_requests);
}

TEST(HttpErrorsTest, EveryCodeHasAnAnswer) {
  EXPECT_EQ(HttpStatusFor(absl::InvalidArgumentError("x")), http::status::bad_request);
  EXPECT_EQ(HttpStatusFor(absl::OutOfRangeError("over the memory budget")), http::status::bad_request);
  EXPECT_EQ(HttpStatusFor(absl::NotFoundError("x")), http::status::not_found);
  EXPECT_EQ(HttpStatusFor(absl::AlreadyExistsError("x")), http::status::conflict);
  EXPECT_EQ(HttpStatusFor(absl::UnauthenticatedError("x")), http::status::unauthorized);
  EXPECT_EQ(HttpStatusFor(absl::PermissionDeniedError("x")), http::status::forbidden);
  EXPECT_EQ(HttpStatusFor(absl::UnimplementedError("x")), http::status::unsupported_media_type);
  EXPECT_EQ(HttpStatusFor(absl::DataLossError("x")), http::status::internal_server_error);
  EXPECT_EQ(AnswerFor(absl::DataLossError("x")).xray_type, "InternalFailure");
  EXPECT_EQ(AnswerFor(absl::FailedPreconditionError("x")).xray_type, "RuleLimitExceededException");
}

TEST(HttpErrorsTest, RetryAfterOnAnswersToRetry) {
  HttpRequest request;
  for (const absl::Status& status : {DiskFullError("full"), absl::UnavailableError("busy")}) {
    HttpResponse response = JsonError(request, status);
    EXPECT_EQ(response[http::field::retry_after], "1") << status;
  }
  HttpResponse bad = JsonError(request, TooLargeError("big"));
  EXPECT_EQ(bad.result(), http::status::payload_too_large);
  EXPECT_TRUE(bad[http::field::retry_after].empty());
  EXPECT_EQ(IngestJsonError(request, DiskFullError("full")).result(), http::status::service_unavailable);
}

}  // namespace
}  // namespace waggle::api
