-- mf.example: the plumbing shared by the reproduction scripts in examples/.
local M = {}

-- mf.example.options(arg [, name]) parses a script's command line: --quick (a small, fast
-- version), --out DIR (where the PNG and CSV go, default "."), --seeds N (ensemble size).
-- Unknown arguments are an error naming the script.
function M.options(args, name)
  name = name or (args and args[0] and args[0]:match("[^/]*$")) or "script"
  local o = { quick = false, out = ".", seeds = nil }
  local i = 1
  while args and args[i] do
    local a = args[i]
    if a == "--quick" then
      o.quick = true
    elseif a == "--out" then
      i = i + 1
      o.out = args[i] or error(name .. ": --out needs a directory", 0)
    elseif a == "--seeds" then
      i = i + 1
      o.seeds = math.tointeger(tonumber(args[i] or "")) or error(name .. ": --seeds needs an integer", 0)
    else
      error(("%s: unknown argument '%s' (use --quick, --out DIR, --seeds N)"):format(name, a), 0)
    end
    i = i + 1
  end
  return o
end

return M
