// writer.cpp: being written
