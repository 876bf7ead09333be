#include "master/http/master_http.h"

#include <utility>

#include "common/metrics/exposition.h"
#include "master/http/dashboard_page.h"
#include "master/http/views.h"
#include "master/service/cluster.h"
#include "master/service/pool_control.h"
#include "master/service/status_views.h"

namespace synth::http {

SnapshotFn ClusterSnapshotFn(const service::Cluster* cluster) {
  return [cluster](absl::Duration history) {
    MasterSnapshot snap;
    service::FillStatus(*cluster, &snap.status, history);
    service::FillWorkers(*cluster, &snap.workers);
    service::PoolControl(cluster->upstream()).FillPools(&snap.pools);
    service::FillSplit(*cluster, &snap.pools);
    return snap;
  };
}

MasterHttpServer::MasterHttpServer(HttpOptions options, SnapshotFn snapshot)
    : options_(std::move(options)),
      snapshot_(std::move(snapshot)),
      histograms_(options_.histograms != nullptr ? options_.histograms : &own_histograms_) {}

MasterHttpServer::~MasterHttpServer() { Shutdown(); }

void MasterHttpServer::Shutdown() {
  if (server_ != nullptr) server_->Shutdown();
}

metrics::HttpResponse MasterHttpServer::Metrics() const {
  MasterSnapshot snap = snapshot_(absl::ZeroDuration());
  std::string body = RenderSnapshotMetrics(snap);
  HealthVerdict health = Health(snap, options_.startup_grace);
  body += "# HELP synth_healthy 1 when /healthz answers 200\n# TYPE synth_healthy gauge\n";
  body += health.ok ? "synth_healthy 1\n" : "synth_healthy 0\n";
  body += histograms_->Render();
  return {200, metrics::kContentType, std::move(body)};
}

metrics::HttpResponse MasterHttpServer::Healthz() const {
  HealthVerdict health = Health(snapshot_(absl::ZeroDuration()), options_.startup_grace);
  return {health.ok ? 200 : 503, "text/plain; charset=utf-8", health.reason + "\n"};
}

metrics::HttpResponse MasterHttpServer::ApiStatus() const {
  MasterSnapshot snap = snapshot_(options_.history);
  nlohmann::json j = StatusJson(snap, Health(snap, options_.startup_grace));
  // Worker ids come from the network: replace invalid UTF-8 rather than throw.
  return {200, "application/json",
          j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)};
}

absl::StatusOr<std::unique_ptr<MasterHttpServer>> StartMasterHttp(const HttpOptions& options,
                                                                  SnapshotFn snapshot) {
  if (snapshot == nullptr) return absl::InvalidArgumentError("StartMasterHttp: no snapshot");
  std::unique_ptr<MasterHttpServer> m(new MasterHttpServer(options, std::move(snapshot)));
  MasterHttpServer* self = m.get();
  absl::StatusOr<std::unique_ptr<metrics::HttpServer>> server = metrics::HttpServer::Start(
      options.listen, {{"/metrics", [self] { return self->Metrics(); }},
                       {"/healthz", [self] { return self->Healthz(); }},
                       {"/api/status", [self] { return self->ApiStatus(); }},
                       {"/", [] {
                          return metrics::HttpResponse{200, "text/html; charset=utf-8",
                                                       std::string(DashboardPage())};
                        }}});
  if (!server.ok()) return server.status();
  m->server_ = *std::move(server);
  return m;
}

}  // namespace synth::http
