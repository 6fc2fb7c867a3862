// status.cpp: being written
