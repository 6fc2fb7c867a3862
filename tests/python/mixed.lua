-- mixed.lua: wrk script for the leak test: 24 pipelined requests of every kind per write.
-- (No HEAD: wrk cannot frame a pipelined HEAD response; HEAD is tested elsewhere.)
local batch

function init(args)
   local kinds = {
      wrk.format("GET", "/"),
      wrk.format("GET", "/instant?a=1&b=2"),
      wrk.format("GET", "/slow"),
      wrk.format("GET", "/missing"),
      wrk.format("GET", "/fail"),
      wrk.format("POST", "/post", {["Content-Type"] = "text/plain"}, "some body bytes"),
      wrk.format("DELETE", "/only-get"),
   }
   local parts = {}
   for i = 1, 24 do
      parts[i] = kinds[(i - 1) % #kinds + 1]
   end
   batch = table.concat(parts)
end

function request()
   return batch
end
