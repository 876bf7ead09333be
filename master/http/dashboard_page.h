// File: master/http/dashboard_page.h
//
// The dashboard page (master/http/dashboard.html), embedded at build time: CMake writes its text
// into a generated .cc (dashboard_page.cc in the build dir) as a raw string. Thread-safe.
//
//   std::string_view html = synth::http::DashboardPage();
#ifndef SYNTH_MASTER_HTTP_DASHBOARD_PAGE_H_
#define SYNTH_MASTER_HTTP_DASHBOARD_PAGE_H_

#include <string_view>

namespace synth::http {

// Returns the dashboard HTML (static storage).
std::string_view DashboardPage();

}  // namespace synth::http

#endif  // SYNTH_MASTER_HTTP_DASHBOARD_PAGE_H_
