-- Argo CD health check for flaskops.io/FlaskService (Lua 5.1, no standard libraries).
-- Argo CD does not read kstatus conditions on its own: without this script a FlaskService
-- whose canary was rolled back shows Healthy as soon as it exists.
--   being deleted                          -> Progressing
--   spec generation not yet observed       -> Progressing
--   Stalled=True (rolled back, render err) -> Degraded, with the reason
--   rollout paused (phase Paused)          -> Suspended, with step and weight
--   Reconciling=True (canary, promotion)   -> Progressing, with step and weight
--   Ready=True                             -> Healthy
local hs = {}

local function condition(status, kind)
  if status.conditions == nil then
    return nil
  end
  for _, c in ipairs(status.conditions) do
    if c.type == kind then
      return c
    end
  end
  return nil
end

-- status.step indexes spec.rollout.canary.steps (0-based); people count from 1.
local function rollout_position(status)
  local text = ""
  if status.step ~= nil then
    text = "step " .. tostring(status.step + 1)
    local canary = obj.spec and obj.spec.rollout and obj.spec.rollout.canary
    if canary ~= nil and canary.steps ~= nil then
      text = text .. " of " .. tostring(#canary.steps)
    end
  end
  if status.weight ~= nil then
    if text ~= "" then
      text = text .. ", "
    end
    text = text .. "weight " .. tostring(status.weight) .. "%"
  end
  return text
end

local function with_detail(head, detail)
  if detail ~= nil and detail ~= "" then
    return head .. ": " .. detail
  end
  return head
end

if obj.metadata.deletionTimestamp ~= nil then
  hs.status = "Progressing"
  local msg = "Pending deletion"
  if obj.metadata.finalizers ~= nil and #obj.metadata.finalizers > 0 then
    msg = msg .. "; blocked by finalizers: " .. table.concat(obj.metadata.finalizers, ", ")
  end
  hs.message = msg
  return hs
end

local status = obj.status
if status == nil or status.observedGeneration == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the flaskops operator to observe the FlaskService"
  return hs
end
if obj.metadata.generation ~= nil and status.observedGeneration < obj.metadata.generation then
  hs.status = "Progressing"
  hs.message = "Waiting for the flaskops operator to observe generation "
    .. tostring(obj.metadata.generation) .. " (observed " .. tostring(status.observedGeneration) .. ")"
  return hs
end

local stalled = condition(status, "Stalled")
if stalled ~= nil and stalled.status == "True" then
  hs.status = "Degraded"
  hs.message = with_detail(stalled.reason or "Stalled", stalled.message)
  return hs
end

local reconciling = condition(status, "Reconciling")
if status.phase == "Paused" then
  hs.status = "Suspended"
  hs.message = with_detail("Rollout paused at " .. rollout_position(status), status.message)
  return hs
end
if reconciling ~= nil and reconciling.status == "True" then
  hs.status = "Progressing"
  if status.canaryRevision ~= nil then
    hs.message = with_detail("Canary at " .. rollout_position(status), reconciling.message)
  else
    hs.message = with_detail(reconciling.reason or "Reconciling", reconciling.message)
  end
  return hs
end

local ready = condition(status, "Ready")
if ready ~= nil and ready.status == "True" then
  hs.status = "Healthy"
  hs.message = ready.message or ""
  return hs
end

hs.status = "Progressing"
if ready ~= nil then
  hs.message = with_detail(ready.reason or "NotReady", ready.message)
else
  hs.message = "Waiting for the Ready condition"
end
return hs
