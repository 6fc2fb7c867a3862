// connection.cpp: being written
