-- Feeds wrk pre-signed, unique Twilio webhook requests (one per line: signature TAB body).
-- Run wrk with one thread (-t1) so no two connections ever share a MessageSid.
local requests = {}
local counter = 0

function init(args)
  for line in io.lines(args[1]) do
    local sig, body = line:match("^([^\t]+)\t(.*)$")
    requests[#requests + 1] = wrk.format("POST", "/sms", {
      ["Content-Type"] = "application/x-www-form-urlencoded",
      ["X-Twilio-Signature"] = sig,
    }, body)
  end
end

function request()
  counter = counter + 1
  return requests[(counter - 1) % #requests + 1]
end
