--- mflab.plot_proc — running gnuplot for mf.plot: one supervised job per file or text render.
--
-- Pure Lua 5.4 plus a POSIX shell and coreutils (mktemp, timeout, sync, mv, od). Lua never
-- creates a file itself: a supervisor shell process (the "job") owns every temporary file and
-- the gnuplot process, so that whatever happens to mflab — an error, Ctrl-C, SIGTERM, a kill
-- of mflab alone — nothing is left behind:
--
--   1. Lua starts the job with io.popen(..., "r"). The job makes a private temporary folder
--      (mktemp -d) and, for a file, creates the partial file ".<name>.part-<token>" beside the
--      target (so the final rename is atomic), then reports both paths on its stdout.
--   2. Lua writes the gnuplot script and data into that folder, then "go" into the job's FIFO.
--   3. The job runs gnuplot under `timeout` (a hung gnuplot is stopped, TERM then KILL), then
--      checks the result: non-empty and well-formed (PNG signature and IEND chunk, SVG closing
--      tag, PDF header and %%EOF), fsyncs it, renames it over the target and fsyncs the folder.
--   4. It removes its folder and partial file, then prints a report (gnuplot's stderr, the
--      text output for the dumb terminal, and one status line) and exits.
--
-- The job traps INT, TERM and HUP (stops gnuplot, removes its files, reports "signal"), and
-- watches mflab: if mflab dies (SIGTERM or SIGKILL to mflab alone), the job stops gnuplot and
-- removes its files within 0.2 s. gnuplot runs in its own process group (timeout's), so only
-- the job decides when it ends.
--
-- The Lua side runs the whole exchange in a coroutine with no debug hook, so Ctrl-C in mflab
-- (which raises "interrupted!" through a hook on the main thread) cannot cut it between the
-- rename and the report: the interrupt is raised after it, and the message then says whether
-- the file was written completely.
local M = {}

local fmt = string.format

local function shquote(s)
  return "'" .. s:gsub("'", "'\\''") .. "'"
end
M.shquote = shquote

-- The job. Arguments: tmpbase target kind timeout gnuplot. target "-" renders to
-- $dir/out.txt and returns its text in the report. Report lines (stdout):
--   ready <len dir> <len part>\n<dir><part>
--   stderr <len>\n<bytes>   output <len>\n<bytes>   status <word> <detail>\n
local JOB = [=[
# byte counts and od in the C locale; gnuplot in the caller's (its text encoding)
lcset=${LC_ALL+set} lcold=${LC_ALL-}
LC_ALL=C; export LC_ALL
tmpbase=$1 target=$2 kind=$3 limit=$4 gp=$5
parent=$PPID me=$$ dir= part= pid= watch=
trap '' PIPE
why() { m=; read -r m < "$dir/err"; m=${m##*: }; } # the reason in an error message
cleanup() {
  if [ -n "$pid" ]; then kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; pid=; fi
  if [ -n "$part" ]; then rm -f "$part"; part=; fi
  if [ -n "$dir" ]; then rm -rf "$dir"; dir=; fi
  if [ -n "$watch" ]; then kill "$watch" 2>/dev/null; watch=; fi
}
report() { # (mflab may be gone: no complaint about a closed pipe) status word, detail; stderr text and output text in $errtext $outtext
  printf 'stderr %d\n%s' "${#errtext}" "$errtext"
  printf 'output %d\n%s' "${#outtext}" "$outtext"
  printf 'status %s %s\n' "$1" "$2"
} 2>/dev/null
errtext= outtext=
fail() { cleanup; report "$1" "$2"; exit 0; }
on_signal() { trap '' INT TERM HUP; cleanup; report signal "$1"; exit 0; }
trap 'on_signal INT' INT
trap 'on_signal TERM' TERM
trap 'on_signal HUP' HUP
alive() { # is mflab still our parent? (a dead parent's child is re-parented)
  if [ -r /proc/$me/stat ]; then
    read -r s < /proc/$me/stat || return 0
    s=${s##*) }; set -- $s; [ "$2" = "$parent" ]
  else
    kill -0 "$parent" 2>/dev/null
  fi
}
( while alive; do sleep 0.2; done; kill -TERM $me ) </dev/null >/dev/null 2>&1 &
watch=$!
if ! dir=$(mktemp -d "$tmpbase/mflab-plot.XXXXXX" 2>&1); then
  m=$dir; dir=; fail tmp "cannot make a temporary folder in '$tmpbase': ${m##*: }"
fi
if [ "$target" != - ]; then
  case $target in */*) tdir=${target%/*}/ ;; *) tdir= ;; esac
  part=$tdir.${target##*/}.part-${dir##*.}
  set -C
  # (true, not the special builtin ":", whose redirection error would end the shell)
  if ! { true > "$part"; } 2>"$dir/err"; then set +C; part=; why; fail write "$m"; fi
  set +C
fi
# Lua says "go" (or "abort") through a FIFO the job holds open for reading and writing, so
# neither side's open blocks and the job's read wakes at once
mkfifo "$dir/go" && exec 3<>"$dir/go" || fail tmp "cannot make a FIFO in '$dir'"
printf 'ready %d %d\n%s%s' "${#dir}" "${#part}" "$dir" "$part" || fail lost ""
read -r go <&3
[ "$go" = go ] || fail abort ""
if [ "$lcset" = set ]; then lc="LC_ALL=$lcold"; else lc="-u LC_ALL"; fi
env $lc timeout -k 2 "$limit" "$gp" "$dir/script.gp" </dev/null >"$dir/stderr.txt" 2>&1 &
pid=$!
wait "$pid"; code=$?; pid=
[ -s "$dir/stderr.txt" ] && errtext=$(cat "$dir/stderr.txt")
if [ "$code" = 124 ] || [ "$code" = 137 ]; then fail timeout "$limit"; fi
if [ "$code" != 0 ]; then fail exit "$code"; fi
if [ "$target" = - ]; then
  out=$dir/out.txt
  [ -s "$out" ] || fail invalid "gnuplot exited without writing the text"
  outtext=$(cat "$out") || fail invalid "cannot read the text output"
  cleanup; report ok ""; exit 0
fi
[ -s "$part" ] || fail invalid "gnuplot exited without writing the file (is the disk full?)"
case $kind in
  png) # the signature, and the IEND chunk's type and CRC as the last 8 bytes
    printf '\211PNG\r\n\032\n' | cmp -s -n 8 - "$part" || fail invalid "gnuplot wrote something that is not a PNG file"
    size=$(wc -c < "$part")
    printf 'IEND\256B`\202' | cmp -s -n 8 - "$part" 0 $((size - 8)) || fail invalid "the PNG file is truncated (no IEND chunk at its end; is the disk full?)" ;;
  svg)
    tail -c 200 "$part" | grep -aq '</svg>' || fail invalid "the SVG file is truncated (no closing </svg>; is the disk full?)" ;;
  pdf)
    [ "$(head -c 5 "$part")" = %PDF- ] || fail invalid "gnuplot wrote something that is not a PDF file"
    tail -c 1024 "$part" | grep -aq '%%EOF' || fail invalid "the PDF file is truncated (no %%EOF; is the disk full?)" ;;
esac
sync -- "$part" 2>"$dir/err" || { why; fail write "fsync failed: $m"; }
mv -fT -- "$part" "$target" 2>"$dir/err" || { why; fail write "$m"; }
part=
sync "${tdir:-.}" 2>/dev/null
cleanup; report ok ""; exit 0
]=]

-- Reading the job's report. A Ctrl-C in mflab interrupts a blocked read (its handler has
-- no SA_RESTART) and Lua then drops what that read had gathered, so the report is read one
-- byte per call (one read(2) at most, which either returns data or fails with nothing
-- gathered) and a read failing with EINTR is retried.
local EINTR = 4
local function getc(pipe)
  while true do
    local c, _, code = pipe:read(1)
    if c or code ~= EINTR then return c end
  end
end

local function take(pipe, n)
  local t = {}
  for i = 1, n do
    local c = getc(pipe)
    if not c then break end
    t[i] = c
  end
  return table.concat(t)
end

local function line(pipe)
  local t = {}
  while true do
    local c = getc(pipe)
    if not c then return #t > 0 and table.concat(t) or nil end
    if c == "\n" then return table.concat(t) end
    t[#t + 1] = c
  end
end

local function drain(pipe)
  while getc(pipe) do end
end

-- Reads the job's length-prefixed field "<name> <len>\n<bytes>".
local function field(pipe, name)
  local head = line(pipe)
  local n = head and tonumber(head:match("^" .. name .. " (%d+)$"))
  if not n then return nil end
  return take(pipe, n)
end

-- Runs fn() in a coroutine without a debug hook and returns box.r, its pcall results.
-- An "interrupted!" raised by the main thread's hook when the coroutine returns is caught
-- and returned as the second value.
local function unhooked(fn)
  local box = {}
  local co = coroutine.create(function()
    debug.sethook() -- this thread only: a Ctrl-C hook on the main thread does not reach here
    box.r = table.pack(pcall(fn))
  end)
  local ok, err = pcall(coroutine.resume, co)
  return box.r, (not ok) and err or nil
end
M.unhooked = unhooked

-- M.run(job) runs gnuplot once. job = {
--   gnuplot, tmpbase, timeout (seconds), target (path, or nil for text), kind ("png"...),
--   build = function(dir, part) -> script (string), data (array of strings) }
-- Returns a table {status =, detail =, stderr =, output =, script =, dir =} where status is
-- "ok", "exit" (detail: gnuplot's exit code), "timeout", "invalid", "write", "tmp", "signal"
-- (the job got INT/TERM/HUP), or "lost" (the job ended without a report), and
-- interrupted: the error raised by a Ctrl-C in mflab meanwhile (the job itself ran on).
function M.run(job)
  local res = { status = "lost", detail = "", stderr = "", output = "" }
  local r, interrupted = unhooked(function()
    local cmd = "exec sh -c " .. shquote(JOB) .. " mflab-plot " .. shquote(job.tmpbase) .. " " ..
      shquote(job.target or "-") .. " " .. shquote(job.kind) .. " " ..
      shquote(fmt("%g", job.timeout)) .. " " .. shquote(job.gnuplot)
    local pipe = assert(io.popen(cmd, "r"))
    local head = line(pipe)
    local nd, np = (head or ""):match("^ready (%d+) (%d+)$")
    if nd then
      local dir = take(pipe, tonumber(nd))
      local part = tonumber(np) > 0 and take(pipe, tonumber(np)) or nil
      res.dir = dir
      local ok, err = pcall(function()
        local script, data = job.build(dir, part)
        res.script = script
        local f = assert(io.open(dir .. "/data.bin", "wb"))
        for _, s in ipairs(data) do assert(f:write(s)) end
        assert(f:close())
        f = assert(io.open(dir .. "/script.gp", "wb"))
        assert(f:write(script))
        assert(f:close())
        f = assert(io.open(dir .. "/go", "r+b")) -- the job's FIFO: "r+" never blocks
        assert(f:write("go\n"))
        assert(f:close())
      end)
      if not ok then
        -- tell the job to stop, then wait for it; it removes everything
        local f = io.open(dir .. "/go", "r+b")
        if f then f:write("abort\n"); f:close() end
        drain(pipe)
        pipe:close()
        error(err, 0)
      end
      res.stderr = field(pipe, "stderr") or ""
      res.output = field(pipe, "output") or ""
    elseif head and head:match("^stderr ") then
      -- failed before it was ready: the report follows without the ready line
      local n = tonumber(head:match("(%d+)$")) or 0
      res.stderr = take(pipe, n)
      res.output = field(pipe, "output") or ""
    end
    local st = line(pipe)
    local word, detail = (st or ""):match("^status (%S+) ?(.*)$")
    if word then res.status, res.detail = word, detail end
    drain(pipe)
    pipe:close()
  end)
  res.interrupted = interrupted
  if r and not r[1] then res.error = r[2] end
  return res
end

------------------------------------------------------------------------------
-- finding gnuplot, and reading its messages
------------------------------------------------------------------------------

local INSTALL_HINT = "install it with: apt-get install gnuplot-nox"

-- Returns info {version=, terminals={name=true}} or nil, message; cached per program.
local probe_cache = {}

function M.not_found_message(prog)
  if prog:find("/", 1, true) then
    return fmt("mf.plot: gnuplot not found at '%s'; %s", prog, INSTALL_HINT)
  end
  return "mf.plot: gnuplot not found on PATH; " .. INSTALL_HINT
end

-- Returns info {version=, terminals={name=true}} or nil, message.
function M.probe(prog)
  if type(prog) ~= "string" or prog == "" then
    return nil, "mf.plot: M.gnuplot must be a non-empty string"
  end
  local cached = probe_cache[prog]
  if cached then return cached.info, cached.msg end
  -- bounded: a gnuplot that hangs must not hang mflab (timeout exits 124 after 20 s)
  local cmd = "timeout -k 2 20 " .. shquote(prog) .. " -e " ..
    shquote('print "MFLAB ", GPVAL_VERSION, " ", GPVAL_PATCHLEVEL; print "MFLAB_T ", GPVAL_TERMINALS')
    .. " 2>&1 </dev/null"
  local p = io.popen(cmd, "r")
  local out = p and p:read("a") or ""
  local ok, _, code = true, nil, 0
  if p then ok, _, code = p:close() end
  local info, msg
  local ver, patch = out:match("MFLAB%s+(%S+)%s+(%S+)")
  if ver then
    info = { version = ver .. "." .. patch, terminals = {} }
    local terms = out:match("MFLAB_T([^\n]*)") or ""
    for t in terms:gmatch("%S+") do info.terminals[t] = true end
  elseif not ok and (code == 127 or code == 126) then
    msg = M.not_found_message(prog)
  elseif not ok and code == 124 then
    msg = "mf.plot: gnuplot ('" .. prog .. "') did not answer within 20 s"
  else
    msg = "mf.plot: could not run gnuplot ('" .. prog .. "'): " ..
      (out:gsub("%s+$", ""):match("[^\n]*$") or "")
  end
  probe_cache[prog] = { info = info, msg = msg }
  return info, msg
end

function M.forget(prog) probe_cache[prog] = nil end

-- Maps gnuplot's "line N:" back to the script text (each entry of the script
-- array may hold several physical lines).
local function script_line(lines, n)
  local phys = 0
  for _, entry in ipairs(lines) do
    local k = 0
    for _ in (entry .. "\n"):gmatch("[^\n]*\n") do k = k + 1 end
    if n <= phys + k then return entry end
    phys = phys + k
  end
end

-- Parses gnuplot's stderr. gnuplot reports a problem in a script file as
--   "<script>" line N: message
-- (after echoing the offending command and a caret). Returns the first error
-- message or nil, and a list of warnings.
function M.parse_stderr(text, lines, scriptpath)
  local err, warnings = nil, {}
  local all = {}
  for l in (text .. "\n"):gmatch("([^\n]*)\n") do all[#all + 1] = l end
  local located = '^"' .. scriptpath:gsub("%p", "%%%0") .. '" line (%d+):%s*(.*)$'
  local function scan(pattern)
    for i, l in ipairs(all) do
      local n, msg = l:match(pattern)
      if n then
        if msg:lower():match("^warning") then
          warnings[#warnings + 1] = msg
        elseif not err then
          msg = msg:gsub("%s+", " ")
          -- a following "system error: ..." line adds the reason
          local nxt = all[i + 1]
          if nxt and nxt:match("^%s*system error") then
            msg = msg .. " (" .. nxt:gsub("^%s+", "") .. ")"
          end
          local src = script_line(lines, tonumber(n))
          if src then
            src = src:gsub("\n.*", " ...")
            if #src > 200 then src = src:sub(1, 200) .. "..." end
            msg = fmt("%s [script line %s: %s]", msg, n, src)
          end
          err = msg
        end
      elseif l:lower():match("^%s*warning:") then
        warnings[#warnings + 1] = l:gsub("^%s+", "")
      end
    end
  end
  scan(located)
  if not err and #warnings == 0 then
    -- not in the expected form: fall back to any "line N:" and "error" lines
    scan("line (%d+):%s*(.*)$")
    if not err then
      for _, l in ipairs(all) do
        if l:lower():match("^%s*error") then err = l:gsub("^%s+", ""); break end
      end
    end
  end
  return err, warnings
end

return M
