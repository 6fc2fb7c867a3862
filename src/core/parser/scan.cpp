// scan.cpp: being written
