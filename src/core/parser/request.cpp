// request.cpp: being written
