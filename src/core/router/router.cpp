// router.cpp: being written
