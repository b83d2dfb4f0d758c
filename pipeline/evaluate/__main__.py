import sys

from pipeline.evaluate.accuracy import main

if __name__ == "__main__":
    sys.exit(main())
