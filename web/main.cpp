// lbha-webd: the WebUI. Everything lives in lbha_web.
#include "web/webd.hpp"

int main(int argc, char** argv) {
  return lbha::run_daemon_main(lbha::web::webd_spec(), argc, argv);
}
