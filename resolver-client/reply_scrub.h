// What the iterator removes from an upstream reply before anything reads
// it, as Unbound's scrubber (iter_scrub.c) does: records whose RDATA does
// not fit a type the resolver reads, records of another class, and NS
// RRsets beyond a size.
#pragma once

#include <cstdint>
#include <string>

#include "dns/message_parser.h"

namespace flatns::resolver {

// The records of a type the resolver reads (resolver_reads) whose RDATA
// does not fit the type's format, from every section; returns how many,
// `first` naming the first.
unsigned remove_malformed_records(dns::Message& msg, std::string& first);

// Records of a class other than IN, from every section; returns how many.
unsigned remove_other_class_records(dns::Message& msg);

// The NS records of an owner beyond the first `max` in a section (Unbound's
// iter-scrub-ns); returns how many were removed.
unsigned cap_ns_rrsets(dns::Message& msg, unsigned max);

}  // namespace flatns::resolver
