// chunked.cpp: being written
