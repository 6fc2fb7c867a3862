// server.cpp: being written
