-- mf.example: the plumbing shared by the reproduction scripts in examples/.
local M = {}

-- Integer options a script may take on its command line.
local INTEGER = { seeds = "ensemble size", seed = "data seed", steps = "number of steps" }

-- mf.example.options(arg [, name [, defaults]]) parses a script's command line: --quick (a
-- small, fast version), --out DIR (where the PNG and CSV go, default "."), and the integer
-- options --seeds N, --seed N, --steps N (nil unless given or defaulted in `defaults`, e.g.
-- {seed = 0}). Unknown arguments are an error naming the script.
function M.options(args, name, defaults)
  name = name or (args and args[0] and args[0]:match("[^/]*$")) or "script"
  local o = { quick = false, out = "." }
  for k, v in pairs(defaults or {}) do o[k] = v end
  local i = 1
  while args and args[i] do
    local a = args[i]
    local key = a:match("^%-%-(%a+)$")
    if a == "--quick" then
      o.quick = true
    elseif a == "--out" then
      i = i + 1
      o.out = args[i] or error(name .. ": --out needs a directory", 0)
    elseif key and INTEGER[key] then
      i = i + 1
      o[key] = math.tointeger(tonumber(args[i] or "")) or error(("%s: --%s needs an integer (%s)"):format(name, key, INTEGER[key]), 0)
    else
      error(("%s: unknown argument '%s' (use --quick, --out DIR, --seeds N, --seed N, --steps N)"):format(name, a), 0)
    end
    i = i + 1
  end
  return o
end

return M
