-- wrk script for bench/tracker/run.sh: every request is an announce for a
-- random info-hash out of the file given after "--" (one %-escaped hash a
-- line), with a random peer id and port, numwant 50, compact.
local hashes = {}

function init(args)
	for line in io.lines(args[1]) do
		hashes[#hashes + 1] = line
	end
	math.randomseed(os.time() + tonumber(tostring(hashes):sub(8), 16) % 100000)
end

function request()
	local ih = hashes[math.random(#hashes)]
	local pid = string.format("-WR0001-%06d%06d", math.random(0, 999999),
		math.random(0, 999999))
	local port = math.random(1024, 65535)
	return wrk.format("GET", "/announce?info_hash=" .. ih .. "&peer_id=" ..
		pid .. "&port=" .. port ..
		"&uploaded=0&downloaded=0&left=100&compact=1&numwant=50&event=started")
end
