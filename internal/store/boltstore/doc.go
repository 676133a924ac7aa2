// Package boltstore is the durable store of Reservoir: one bbolt file that
// implements lambda.Store, iam.Store, logs.Store and cloudwatch.Store. Every write is a single bbolt
// read-write transaction, fsync'd on commit, so a change is durable when the
// method returns nil and absent when it returns an error (or the process dies).
//
// # Schema, version 9
//
// The file holds fifteen top-level buckets. Keys outside the log and
// CloudWatch buckets are UTF-8 strings; "/" separates key parts, so no part may be empty or contain
// "/".
//
//	meta       "schema_version" -> "9" (ASCII decimal)
//	           "code_url_key" -> 32 random bytes: the secret that signs
//	           GetFunction's Code.Location URLs (written once, on first use)
//	functions  "<account>/<region>/<name>" -> functionRecord (JSON)
//	code       "<digest>" -> the deployment package, raw zip bytes (the
//	           digest is the whole key and may itself contain "/")
//	roles      "<account>/<name>" -> roleRecord (JSON)
//	policies   "<account>/<name>" -> policyRecord (JSON): a customer
//	           managed policy (version 5)
//	async      "<request id>" -> asyncRecord (JSON): an accepted Event
//	           invocation that has not ended (version 2)
//	log_groups "<account>/<region>/<group name>" -> logGroupRecord (JSON)
//	           (version 3; the name is the last part and may hold "/")
//	log_streams <group id><stream name> -> logStreamRecord (JSON)
//	log_events  <stream id><timestamp><seq> -> a block of events (version 6;
//	           binary, below; compressed since version 9)
//	cw_series  "<account>/<region>/"<series parts> -> cwSeriesRecord (JSON)
//	           (version 4, as the three below)
//	cw_data    <series id><minute> -> aggregate (binary, below)
//	cw_alarms  "<account>/<region>/<alarm name>" -> cwAlarmRecord (JSON)
//	           (the name is the last part and may hold "/")
//	cw_history "<account>/<region>/"<time><seq> -> cwHistoryRecord (JSON)
//	autoscaling <kind>\x00<account>\x00<region>\x00<resource id>[\x00<name>]
//	           -> asTargetRecord (kind t), asPolicyRecord (p, name the
//	           policy's), asActionRecord (s, the scheduled action's) or
//	           asActivityRecord (a, the activity's ID) (JSON; version 7)
//	layers     "<account>/<region>/<layer name>" -> layerRecord (JSON): a
//	           layer with its versions (version 8)
//
// In the log buckets, <group id>, <stream id>, <timestamp> and <seq> are
// 8-byte big-endian unsigned integers, so a group's streams are one key range
// sorted by name. Group and stream IDs come from their bucket's sequence and
// are never reused; seq comes from log_events' sequence and grows with every
// event appended, across all streams, so it also orders events of one
// timestamp by arrival (logs.EventKey). Timestamps are milliseconds since the
// epoch and never negative.
//
// A stream's events are stored in blocks: the events of one append (a
// PutLogEvents call, or a flush's lines of one stream), sorted by key and
// cut into runs of at most 4,096 events, 256 KiB of messages (1,024 and
// 64 KiB in files written before; the format is the same) and 60 s from
// first to last timestamp, each run one value under the key of its first
// event. A block is its events' ingestion
// time (milliseconds), the span from its first to its last timestamp and its
// number of events (uvarints), then per event the difference of its
// timestamp from the previous event's (uvarint; the first's from the key's),
// of its seq (varint; likewise), the message's length (uvarint) and the
// message bytes: that is a plain block, as versions 6 to 8 stored every
// block. Since version 9 a block is stored compressed: the bytes 0x80 0x00
// (an over-long uvarint zero, which no plain block starts with, since its
// first field is a minimal uvarint), a codec byte (1: S2's block format,
// github.com/klauspost/compress/s2) and the plain block compressed; a block
// that compression would not make smaller is stored plain. A stream's blocks are one key range sorted by their first
// event; blocks may overlap in time (an append may hold timestamps older
// than an earlier append's), so scans merge them, and a stream record's
// block_span, at least the span of each of its blocks, bounds where a block
// holding a given time can start. Deleting a stream's oldest events deletes
// the blocks they fill and rewrites a block they cut under its first
// remaining event's key; DeleteOldestLogEvents does so for several streams
// in one transaction, merging their events by key to find where each is
// cut. The figures in logStreamRecord (events, stored_bytes,
// first/last_event_timestamp, last_ingestion_time, block_span) change in the
// same transaction as the events they count.
//
// In the CloudWatch buckets, <series parts> are the namespace, the metric
// name, the number of dimensions (uvarint), each dimension's name and value
// (sorted by name) and the unit, each string as a uvarint length and its
// bytes. <series id> is an 8-byte big-endian integer from cw_series'
// sequence, never reused; <minute> is the minute (Unix seconds / 60) as an
// 8-byte big-endian integer with its sign bit flipped, so a series' minutes
// are one key range in time order. An aggregate is SampleCount, Sum, Minimum
// and Maximum (8-byte IEEE 754 big-endian each), the number of histogram
// buckets (uvarint) and per bucket its key's difference from the previous
// key (varint, the first from 0) and its count (uvarint 2c for a whole count
// c < 2^52, else uvarint 1 and an 8-byte float); bucket keys are those of
// cloudwatch.Aggregate. A series record's last_minute is raised in the
// transaction that writes its minutes. In cw_history, <time> is nanoseconds
// since the epoch with its sign bit flipped and <seq> comes from cw_history's
// sequence (both 8 bytes big-endian), so a scope's items are one key range
// ordered by time, then write order.
//
// <digest> is the base64 SHA-256 of the package as AWS reports it
// (Config.CodeSha256). A function record holds its own account, region and
// name as well; they must match its key.
//
// Values are JSON of the record structs in records.go, never of the lambda or
// iam domain types, so renaming a domain field cannot change what is on disk.
// The JSON field names are the schema:
//
//	functionRecord    account, region, name, latest (configRecord),
//	                  versions ([]configRecord, oldest first), last_version,
//	                  aliases (map name -> aliasRecord), reserved_concurrency
//	                  (absent: no reservation; 0 is a reservation),
//	                  provisioned (map qualifier -> provisionedRecord), tags,
//	                  event_invoke (map qualifier -> eventInvokeRecord),
//	                  policies (map qualifier -> []statementRecord, in the
//	                  order added; $LATEST is the unqualified function's)
//	                  recursive_loop (absent: Terminate)
//	                  urls (map qualifier -> functionURLRecord; absent in
//	                  records written before function URLs: none)
//	configRecord      version, description, runtime, handler, role,
//	                  memory_size_mb, timeout_s, ephemeral_storage_mb,
//	                  architectures, package_type, environment, tracing_mode,
//	                  logging (loggingRecord; absent: Text to the default
//	                  group), code_sha256, code_size, layers ([]{arn,
//	                  code_sha256, code_size}, in order; absent: none),
//	                  vpc ({subnet_ids, security_group_ids,
//	                  ipv6_dual_stack}; absent: never given),
//	                  dead_letter_target, snap_start_apply_on (absent:
//	                  None), file_systems ([]{arn, local_mount_path}),
//	                  kms_key_arn, runtime_update_on (absent: Auto),
//	                  runtime_version_arn, last_modified, revision_id
//	loggingRecord     format, application_log_level, system_log_level,
//	                  log_group (absent: /aws/lambda/<name>)
//	aliasRecord       name, function_version, description, revision_id,
//	                  additional_version_weights (map version -> weight)
//	provisionedRecord qualifier, requested, last_modified
//	eventInvokeRecord qualifier, max_retry_attempts, max_event_age_s (each
//	                  absent: not set), on_success, on_failure (destination
//	                  ARNs; absent: none), last_modified
//	statementRecord   sid, action, principal (as AddPermission was sent
//	                  it), source_arn, source_account, event_source_token,
//	                  principal_org_id, function_url_auth_type,
//	                  invoked_via_function_url (each absent: no condition)
//	functionURLRecord qualifier ($LATEST or an alias), url_id, auth_type,
//	                  cors (corsRecord; absent: none), invoke_mode,
//	                  creation_time, last_modified_time
//	corsRecord        allow_credentials, allow_headers, allow_methods,
//	                  allow_origins, expose_headers, max_age_s (each absent:
//	                  unset)
//	roleRecord        account, name, id, path, assume_role_policy_document,
//	                  description, max_session_duration_s, create_date, tags,
//	                  inline_policies (map policy name -> document),
//	                  attached_policies ([]managed policy ARN, attach order)
//	policyRecord      account, name, id, path, description, create_date,
//	                  update_date, default_version_id, versions ([]{id,
//	                  document, create_date}, oldest first), next_version
//	                  (the number of the next version id), tags
//	asyncRecord       account, region, request_id, function_name (as the
//	                  caller gave it), qualifier, client_context, payload
//	                  (base64), received, attempts (function errors so far),
//	                  not_before (absent: at once)
//	logGroupRecord    id, account, region, name, creation_time (ms),
//	                  retention_days (absent: never expire), kms_key_id,
//	                  class, tags
//	logStreamRecord   id, name, creation_time (ms), events, stored_bytes
//	                  (Σ message bytes + 26 per event), first_event_timestamp,
//	                  last_event_timestamp, last_ingestion_time (ms; absent
//	                  means 0), block_span (ms; absent means 0)
//	cwSeriesRecord    id, account, region, namespace, metric_name,
//	                  dimensions ([]{name, value}, sorted), unit, last_minute
//	cwAlarmRecord     account, region, name, description,
//	                  configuration_updated, actions_enabled, ok_actions,
//	                  alarm_actions, insufficient_data_actions, state,
//	                  state_reason, state_reason_data, state_updated,
//	                  state_transitioned, metric_name, namespace, statistic,
//	                  extended_statistic, dimensions, period, unit,
//	                  evaluation_periods, datapoints_to_alarm, threshold
//	                  (absent: none), comparison_operator, treat_missing_data,
//	                  evaluate_low_sample_count_percentile, metrics
//	                  ([]cwQueryRecord), threshold_metric_id,
//	                  evaluation_state, tags ([]{key, value}, in order)
//	cwQueryRecord     id, has_stat (then namespace, metric_name, dimensions,
//	                  stat_period, stat, stat_unit), expression, label,
//	                  return_data (absent: true), period, account_id
//	cwHistoryRecord   alarm_name, alarm_type, type, summary, data
//	asTargetRecord    account, region, function, qualifier, id, min, max,
//	                  suspended_in, suspended_out, suspended_scheduled, created,
//	                  tags, last_scale_out, last_scale_in, scale_out_from
//	asPolicyRecord    account, region, function, qualifier, name, id, type,
//	                  target_tracking {target_value, predefined,
//	                  resource_label, customized {namespace, metric_name,
//	                  dimensions, statistic, unit}, scale_out_cooldown_s,
//	                  scale_in_cooldown_s, disable_scale_in}, step_scaling
//	                  {adjustment_type, steps [{lower, upper, adjustment}],
//	                  min_adjustment_magnitude, cooldown_s,
//	                  metric_aggregation_type}, alarms [{name, arn}], created
//	asActionRecord    account, region, function, qualifier, name, id, schedule,
//	                  timezone, start, end (zero: none), min, max (absent: not
//	                  set), created, last_fired (the due time it last ran for)
//	asActivityRecord  account, region, function, qualifier, id, description,
//	                  cause, start, end (zero: in progress), status, message
//	layerRecord       account, region, name, last_version (the newest
//	                  number ever published; kept after every version is
//	                  deleted), versions ([]layerVersionRecord, oldest first)
//	layerVersionRecord version, description, license_info,
//	                  compatible_runtimes, compatible_architectures,
//	                  code_sha256 (the zip, in the code bucket), code_size,
//	                  created_date, policy ([]{sid, action, principal,
//	                  organization_id}, in the order added), policy_revision
//
// Times are RFC 3339 with nanoseconds, in UTC. Only the requested count and
// modification time of a provisioned concurrency config are stored: its status
// and environment counts are live state, rebuilt after a restart, so they load
// as "" and zero. Empty maps and slices are omitted and load as nil, except a
// function's aliases, provisioned and tags, which load as empty maps. A field
// added to a record without changing the meaning of the others (a role's
// inline_policies and attached_policies, a configuration's logging, layers and the settings from vpc to
// runtime_version_arn, a function's event_invoke, policies and recursive_loop) keeps the version: records written
// before it lack the field and load it as empty. So does a meta key that
// only this release reads (code_url_key): older releases ignore it.
//
// Any change to the layout or to the meaning of a record field bumps
// schema_version, and Open migrates older files: a version 1 file (no async
// bucket), version 2 file (no log buckets), version 3 file (no CloudWatch
// buckets), version 4 file (no policies bucket), version 5 file, version 6
// file (no autoscaling bucket), version 7 file (no layers bucket) or
// version 8 file (plain log blocks only, read as they are) gets the missing
// buckets and version 9. Versions 3 to 5 stored one key per log
// event, valued its ingestion time (uvarint) and message, under the key a
// block of it has: Open rewrites each such value as a block of one event, in
// the transaction that stamps the new version (an old file's events stay one
// per block; new appends are stored in blocks). Other records are untouched.
// Open refuses a file whose version it does not know, so an older binary never rewrites newer data.
package boltstore
