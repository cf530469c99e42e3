// Writes three records with Spool, reads them back, and checks them.
#include <spool/spool.h>

#include <iostream>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  const std::vector<std::string> payloads = {"first", "", "third record"};
  spool::data::TFRecordWriter writer(argv[1]);
  for (const auto& p : payloads) writer.write(p);
  writer.close();

  spool::data::TFRecordReader reader(argv[1]);
  std::size_t n = 0;
  while (auto record = reader.next()) {
    if (n >= payloads.size() || record->data.as_string_view() != payloads[n]) {
      std::cerr << "record " << n << " differs\n";
      return 1;
    }
    ++n;
  }
  std::cout << "consumer ok: " << n << " records, crc32c(123456789)=" << std::hex
            << spool::data::crc32c("123456789") << "\n";
  return n == payloads.size() ? 0 : 1;
}
