#include "tests/lab/lab_cli.hpp"

int main(int argc, char** argv) { return lbha::lab::run_lab_cli(argc, argv); }
