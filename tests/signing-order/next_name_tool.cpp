// Reads wire names in hex, one per line, and prints the compact-denial
// successor of each (signing::next_name within the zone "example.") in hex:
// the C++ side of test_next_name_order.py.
#include <iostream>
#include <string>
#include <vector>

#include "dns/encoding.h"
#include "signing/compact_denial.h"

int main() {
  const flatns::dns::Name apex = flatns::dns::Name::parse("example.");
  std::string line;
  while (std::getline(std::cin, line)) {
    std::vector<uint8_t> wire;
    flatns::dns::NameBuffer out;
    if (!flatns::dns::hex_decode(line, wire) ||
        !flatns::signing::next_name(wire, apex.wire(), out)) {
      std::cout << "error\n";
      continue;
    }
    std::cout << flatns::dns::hex_encode(out.view()) << "\n";
  }
}
