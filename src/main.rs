/// Running out of memory is said in a sentence, with the terminal put back (exit status 4).
#[global_allocator]
static ALLOCATOR: sessionscope::fault::SayOutOfMemory = sessionscope::fault::SayOutOfMemory;

fn main() -> std::process::ExitCode {
    sessionscope::cli::main()
}
