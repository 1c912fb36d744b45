fn main() -> std::process::ExitCode {
    sessionscope::cli::main()
}
