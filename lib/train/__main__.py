from lib.train.cli import main

main()
