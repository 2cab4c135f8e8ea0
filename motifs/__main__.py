from motifs.cli.main import main

main()
