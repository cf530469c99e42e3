// spool: the command-line tool. One subcommand per file (inspect.cc, verify.cc, ...).
#include <iostream>
#include <string>

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: spool <command> [options]\n";
    return 2;
  }
  std::cerr << "spool: unknown command '" << argv[1] << "'\n";
  return 2;
}
