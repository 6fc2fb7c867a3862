// parser.cpp: being written
