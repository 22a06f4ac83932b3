fn main() {
    std::process::exit(bsc::cli::run())
}
