// File: master/api/sections.h
//
// The reply sections of synth-master's cgminer API, built from one ApiSnapshot: the whole
// cluster is one miner, every device of every worker is a `DEVS` entry, every pool of the
// failover list a `POOLS` entry. Field names and types follow cgminer's api.c (numbers are JSON
// numbers, flags "Y"/"N" strings where cgminer has them, booleans true/false); fields synth has
// no data for are left out rather than made up, and a few synth fields are added (`Worker`,
// `Device`, ...). docs/MONITORING.md "cgminer API" maps every field to its source.
//
//   nlohmann::ordered_json summary = SummarySection(snap);   // one object
//   nlohmann::ordered_json devs = DevsSection(snap);         // an array
//
// Pure functions; thread-safe. Nothing here reads a secret (the pool user is not one).
#ifndef SYNTH_MASTER_API_SECTIONS_H_
#define SYNTH_MASTER_API_SECTIONS_H_

#include <string>

#include "master/api/backend.h"
#include "nlohmann/json.hpp"

namespace synth::api {

using Json = nlohmann::ordered_json;

// cgminer's API version these replies follow.
inline constexpr char kApiVersion[] = "3.7";

// "synth-master VERSION": the `Description` of every status.
std::string Description(const ApiSnapshot& snap);

Json VersionSection(const ApiSnapshot& snap);
Json ConfigSection(const ApiSnapshot& snap);
Json SummarySection(const ApiSnapshot& snap);
// `user` is the pool user every pool is mined with (synth-master's --user).
Json PoolsSection(const ApiSnapshot& snap, const std::string& user);
Json DevsSection(const ApiSnapshot& snap);
Json StatsSection(const ApiSnapshot& snap);

// The number of DEVS entries (devices of all workers).
int DeviceCount(const ApiSnapshot& snap);

}  // namespace synth::api

#endif  // SYNTH_MASTER_API_SECTIONS_H_
