-- mf.schedule: learning-rate schedules, computed in C during a run. Step k (1-based) of a run
-- uses lr(k); lr(k) is torch's learning rate after k-1 calls of scheduler.step(), so
-- mf.schedule.step{lr = 0.1, step_size = 30} is torch's StepLR(step_size=30) and so on.
-- Anywhere an optimizer takes `lr` it takes a number, one of these, or a Lua function of the
-- step k returning a number (tabulated for every step before each run, 8 bytes a step,
-- because the worker threads cannot call Lua).
local core = require "mflab.core"
local schema = require "mflab.schema"
local check = schema.check -- errors point at the user's call of the constructor

local M = {}

local Schedule = { __name = "mflab.schedule" }
Schedule.__index = Schedule

-- s:at(k): the learning rate of step k
function Schedule:at(k)
  if self.kind == "function" then return self.fn(k) end
  return core.schedule_at(self, k)
end

Schedule.at = schema.public("schedule:at", Schedule.at) -- errors at the caller's line

function Schedule:__tostring()
  local parts = {}
  for _, key in ipairs { "lr", "step_size", "gamma", "T", "eta_min", "warmup", "start" } do
    if self[key] ~= nil then parts[#parts + 1] = ("%s = %s"):format(key, tostring(self[key])) end
  end
  return ("schedule.%s{%s}"):format(self.kind, table.concat(parts, ", "))
end

local function new(t) return setmetatable(t, Schedule) end

function M.is_schedule(v) return getmetatable(v) == Schedule end

-- The `lr` option kind of every optimizer: a positive number, a function or a schedule.
schema.kinds.lr = function(v)
  if type(v) == "number" then
    return v == v and v > 0 and v < math.huge, "a finite number > 0 (or a schedule)"
  end
  return type(v) == "function" or M.is_schedule(v),
      "a number > 0, a function of the step or a schedule (mf.schedule.*)"
end

local constant_schema = schema.new("mf.schedule.constant", {
  { name = "lr", kind = "positive", required = true, doc = "the learning rate" },
}, "lr(k) = lr")

function M.constant(opts)
  local o = check(constant_schema, opts)
  return new { kind = "constant", lr = o.lr }
end

local step_schema = schema.new("mf.schedule.step", {
  { name = "lr", kind = "positive", required = true, doc = "the learning rate of the first steps" },
  { name = "step_size", kind = "count", required = true, doc = "steps between decays" },
  { name = "gamma", kind = "positive", default = 0.1, doc = "factor per decay" },
}, "lr(k) = lr gamma^floor((k-1)/step_size) (torch StepLR)")

function M.step(opts)
  local o = check(step_schema, opts)
  return new { kind = "step", lr = o.lr, step_size = o.step_size, gamma = o.gamma }
end

local cosine_schema = schema.new("mf.schedule.cosine", {
  { name = "lr", kind = "positive", required = true, doc = "the learning rate at step 1" },
  { name = "T", kind = "count", required = true, doc = "half period: lr(T+1) = eta_min" },
  { name = "eta_min", kind = "nonnegative", default = 0, doc = "the smallest learning rate" },
}, "lr(k) = eta_min + (lr - eta_min)(1 + cos(pi (k-1)/T))/2 (torch CosineAnnealingLR, closed form)")

function M.cosine(opts)
  local o = check(cosine_schema, opts)
  return new { kind = "cosine", lr = o.lr, T = o.T, eta_min = o.eta_min }
end

local warmup_schema = schema.new("mf.schedule.warmup", {
  { name = "steps", kind = "count", required = true, doc = "length of the linear warm-up" },
  { name = "lr", kind = "lr", required = true, doc = "the learning rate or built-in schedule warmed up" },
  { name = "start", kind = "positive", doc = "factor at step 1, in (0, 1] (default 1/steps)" },
}, "lr(k) = inner(k) (start + (1 - start) min(k-1, steps)/steps) (torch LinearLR(start, total_iters=steps))")

function M.warmup(opts)
  local o = check(warmup_schema, opts)
  local start = o.start or 1 / o.steps
  if start > 1 then error("mf.schedule.warmup: option 'start' must be in (0, 1], got " .. start, 2) end
  local inner = o.lr
  if type(inner) == "number" then inner = { kind = "constant", lr = inner } end
  if type(inner) == "function" or inner.kind == "function" then
    local f = type(inner) == "function" and inner or inner.fn
    local w = o.steps
    return new { kind = "function", fn = function(k)
      local e = math.min(k - 1, w)
      return f(k) * (start + (1 - start) * e / w)
    end, warmup = w, start = start }
  end
  local t = {}
  for key, v in pairs(inner) do t[key] = v end
  t.warmup, t.start = o.steps, start
  return new(t)
end

return M
