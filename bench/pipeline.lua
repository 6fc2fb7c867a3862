-- pipeline.lua: wrk script sending N pipelined GET requests in each write.
--
--   wrk -t1 -c100 -d5s http://127.0.0.1:8080 -s bench/pipeline.lua -- 24
--   wrk -t1 -c100 -d5s http://127.0.0.1:8080 -s bench/pipeline.lua -- 24 /json
--
-- Arguments: N (default 24), then the path (default: the path of wrk's URL).
-- Each request is what wrk.format builds: a normal GET with the Host header.
-- wrk counts the requests in the returned string and waits for that many
-- responses before the next write, so req/s counts responses, not writes.

local batch

function init(args)
   local depth = tonumber(args[1] or "24")
   if depth == nil or depth < 1 or depth ~= math.floor(depth) then
      error("pipeline.lua: N must be a positive integer, got " .. tostring(args[1]))
   end
   local path = args[2] or wrk.path
   batch = string.rep(wrk.format("GET", path), depth)
end

function request()
   return batch
end
