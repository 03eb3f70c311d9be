#pragma once
// Asking for a secret on the terminal, without echoing it.

#include <optional>
#include <string>

namespace kpipe::cli {

// Prompts on /dev/tty (stdin may be the records' pipe) with echo off and reads one line;
// nullopt when there is no terminal or the input ended.
std::optional<std::string> prompt_secret(const std::string& prompt);

}  // namespace kpipe::cli
