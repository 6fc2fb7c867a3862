// date.cpp: being written
