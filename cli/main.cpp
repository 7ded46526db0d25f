#include <iostream>

#include "cli/app.hpp"

int main(int argc, char** argv) { return lbha::cli::run_lbctl(argc, argv, std::cout, std::cerr); }
