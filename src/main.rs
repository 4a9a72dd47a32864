fn main() {
    std::process::exit(camp::cli::main());
}
