-- mf.write_csv and other file output.
local core = require "mflab.core"

local M = {}

-- mf.write_csv(path, names, columns [, meta]): columns[k] is the array for names[k]; all of
-- equal length. A header line (names with a comma, quote or line break quoted as RFC 4180
-- says), the rows, and meta (a string) as a last comment line "# meta" — last, so that
-- numpy.genfromtxt(path, delimiter=",", names=True) reads the file as it is. Numbers keep 17
-- significant digits. Written to a temporary name and renamed, so it is whole or absent.
function M.write_csv(path, names, columns, meta)
  local fname = "mf.write_csv"
  if type(path) ~= "string" then error(fname .. ": argument 'path' must be a string", 2) end
  if type(names) ~= "table" or type(columns) ~= "table" or #names ~= #columns or #names == 0 then
    error(fname .. ": arguments 'names' and 'columns' must be non-empty tables of equal length", 2)
  end
  local n = #columns[1]
  for k = 1, #names do
    if type(names[k]) ~= "string" then error(fname .. ": names[" .. k .. "] must be a string", 2) end
    if #columns[k] ~= n then
      error(("%s: column '%s' has %d rows, column '%s' has %d"):format(fname, names[k], #columns[k], names[1], n), 2)
    end
  end
  local out, header = {}, {}
  for k = 1, #names do
    header[k] = names[k]:find('[,"\r\n]') and ('"' .. names[k]:gsub('"', '""') .. '"') or names[k]
  end
  out[#out + 1] = table.concat(header, ",")
  local row = {}
  for j = 1, n do
    for k = 1, #columns do
      local v = columns[k][j]
      row[k] = math.type(v) == "integer" and tostring(v) or ("%.17g"):format(v)
    end
    out[#out + 1] = table.concat(row, ",")
  end
  if meta then out[#out + 1] = "# " .. tostring(meta):gsub("[\r\n]", " ") end
  local tmp = ("%s.tmp.%d%06d"):format(path, os.time(), math.random(0, 999999))
  local f, err = io.open(tmp, "w")
  if not f then error(fname .. ": cannot write '" .. path .. "': " .. tostring(err), 2) end
  local ok, werr = f:write(table.concat(out, "\n"), "\n")
  local closed, cerr = f:close()
  if not ok or not closed then
    os.remove(tmp)
    error(fname .. ": cannot write '" .. path .. "': " .. tostring(werr or cerr), 2)
  end
  local renamed, rerr = os.rename(tmp, path)
  if not renamed then
    os.remove(tmp)
    error(fname .. ": cannot write '" .. path .. "': " .. tostring(rerr), 2)
  end
  return path
end

return M
