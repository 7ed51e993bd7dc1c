#include "dns/rrtype.h"

#include <array>
#include <charconv>
#include <utility>

namespace flatns::dns {

namespace {

struct Mnemonic {
  uint16_t number;
  std::string_view text;
};

// IANA "Resource Record (RR) TYPEs" registry, plus the flattening records.
constexpr Mnemonic kTypes[] = {
    {1, "A"},          {2, "NS"},          {3, "MD"},         {4, "MF"},
    {5, "CNAME"},      {6, "SOA"},         {7, "MB"},         {8, "MG"},
    {9, "MR"},         {10, "NULL"},       {11, "WKS"},       {12, "PTR"},
    {13, "HINFO"},     {14, "MINFO"},      {15, "MX"},        {16, "TXT"},
    {17, "RP"},        {18, "AFSDB"},      {19, "X25"},       {20, "ISDN"},
    {21, "RT"},        {22, "NSAP"},       {23, "NSAP-PTR"},  {24, "SIG"},
    {25, "KEY"},       {26, "PX"},         {27, "GPOS"},      {28, "AAAA"},
    {29, "LOC"},       {30, "NXT"},        {31, "EID"},       {32, "NIMLOC"},
    {33, "SRV"},       {34, "ATMA"},       {35, "NAPTR"},     {36, "KX"},
    {37, "CERT"},      {38, "A6"},         {39, "DNAME"},     {40, "SINK"},
    {41, "OPT"},       {42, "APL"},        {43, "DS"},        {44, "SSHFP"},
    {45, "IPSECKEY"},  {46, "RRSIG"},      {47, "NSEC"},      {48, "DNSKEY"},
    {49, "DHCID"},     {50, "NSEC3"},      {51, "NSEC3PARAM"}, {52, "TLSA"},
    {53, "SMIMEA"},    {55, "HIP"},        {56, "NINFO"},     {57, "RKEY"},
    {58, "TALINK"},    {59, "CDS"},        {60, "CDNSKEY"},   {61, "OPENPGPKEY"},
    {62, "CSYNC"},     {63, "ZONEMD"},     {64, "SVCB"},      {65, "HTTPS"},
    {66, "DSYNC"},     {99, "SPF"},        {100, "UINFO"},    {101, "UID"},
    {102, "GID"},      {103, "UNSPEC"},    {104, "NID"},      {105, "L32"},
    {106, "L64"},      {107, "LP"},        {108, "EUI48"},    {109, "EUI64"},
    {128, "NXNAME"},   {249, "TKEY"},      {250, "TSIG"},     {251, "IXFR"},
    {252, "AXFR"},     {253, "MAILB"},     {254, "MAILA"},    {255, "ANY"},
    {256, "URI"},      {257, "CAA"},       {258, "AVC"},      {259, "DOA"},
    {260, "AMTRELAY"}, {261, "RESINFO"},   {262, "WALLET"},   {263, "CLA"},
    {264, "IPN"},      {32768, "TA"},      {32769, "DLV"},    {65305, "ANAME"},
    {65401, "ALIAS"},
};

constexpr Mnemonic kClasses[] = {
    {1, "IN"}, {3, "CH"}, {4, "HS"}, {254, "NONE"}, {255, "ANY"},
};

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'a' && x <= 'z') x = static_cast<char>(x - 32);
    if (y >= 'a' && y <= 'z') y = static_cast<char>(y - 32);
    if (x != y) return false;
  }
  return true;
}

// "TYPE123" / "CLASS3" (RFC 3597 §5): prefix, then a decimal number <= 65535.
bool parse_numeric_form(std::string_view text, std::string_view prefix, uint16_t& value) {
  if (text.size() <= prefix.size() || !iequals(text.substr(0, prefix.size()), prefix)) return false;
  const std::string_view digits = text.substr(prefix.size());
  if (digits.size() > 5) return false;
  unsigned v = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (ec != std::errc() || end != digits.data() + digits.size() || v > 65535) return false;
  value = static_cast<uint16_t>(v);
  return true;
}

template <std::size_t N>
std::string to_text(const Mnemonic (&table)[N], uint16_t value, const char* prefix) {
  for (const auto& m : table) {
    if (m.number == value) return std::string(m.text);
  }
  return prefix + std::to_string(value);
}

template <std::size_t N>
bool from_text(const Mnemonic (&table)[N], std::string_view text, const char* prefix,
               uint16_t& value) {
  for (const auto& m : table) {
    if (iequals(m.text, text)) {
      value = m.number;
      return true;
    }
  }
  return parse_numeric_form(text, prefix, value);
}

}  // namespace

std::string type_to_text(uint16_t type) { return to_text(kTypes, type, "TYPE"); }
bool type_from_text(std::string_view text, uint16_t& type) {
  return from_text(kTypes, text, "TYPE", type);
}
std::string class_to_text(uint16_t cls) { return to_text(kClasses, cls, "CLASS"); }
bool class_from_text(std::string_view text, uint16_t& cls) {
  return from_text(kClasses, text, "CLASS", cls);
}

}  // namespace flatns::dns
