// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * opstat.c - see opstat.h.  Bucket i of the daemon's histogram holds
 * requests of [2^i, 2^(i+1)) microseconds (trace.c: hist_bucket()),
 * except bucket 0, [0, 2), and the last, which is open.
 */
#include <string.h>

#include "fsinspect.h"
#include "opstat.h"

static uint64_t sub(uint64_t a, uint64_t b)
{
	return a >= b ? a - b : a;
}

void opstat_sub(const struct gfs_trace_opstat *now,
		const struct gfs_trace_opstat *then,
		struct gfs_trace_opstat *out)
{
	int i;

	out->count = sub(now->count, then->count);
	out->errors = sub(now->errors, then->errors);
	out->bytes = sub(now->bytes, then->bytes);
	out->dur_ns = sub(now->dur_ns, then->dur_ns);
	out->sql_ns = sub(now->sql_ns, then->sql_ns);
	for (i = 0; i < GFS_TRACE_HIST; i++)
		out->hist[i] = sub(now->hist[i], then->hist[i]);
}

uint64_t opstat_open_bucket_ns(void)
{
	return (1ull << (GFS_TRACE_HIST - 1)) * 1000;
}

uint64_t opstat_quantile(const struct gfs_trace_opstat *s, double q)
{
	uint64_t total = 0, seen = 0, want;
	int i;

	for (i = 0; i < GFS_TRACE_HIST; i++)
		total += s->hist[i];
	if (!total)
		return 0;
	want = (uint64_t)(q * (double)total + 0.999999);
	if (want == 0)
		want = 1;
	for (i = 0; i < GFS_TRACE_HIST - 1; i++) {
		seen += s->hist[i];
		if (seen >= want)
			return (1ull << (i + 1)) * 1000;
	}
	return FSI_UNKNOWN;
}

char *opstat_duration(uint64_t ns)
{
	if (ns < 1000)
		return fsi_xasprintf("%lluns", (unsigned long long)ns);
	if (ns < 1000000)
		return fsi_xasprintf("%lluus", (unsigned long long)(ns / 1000));
	if (ns < 10000000)
		return fsi_xasprintf("%.1fms", (double)ns / 1e6);
	if (ns < 1000000000)
		return fsi_xasprintf("%llums",
				     (unsigned long long)(ns / 1000000));
	return fsi_xasprintf("%.1fs", (double)ns / 1e9);
}

static uint64_t member(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !v)
		return 0;
	return json_object_get_uint64(v);
}

void opstat_from_json(json_object *o, struct gfs_trace_opstat *out)
{
	json_object *h;
	size_t i, n;

	memset(out, 0, sizeof(*out));
	out->count = member(o, "count");
	out->errors = member(o, "errors");
	out->bytes = member(o, "bytes");
	out->dur_ns = member(o, "dur_ns");
	out->sql_ns = member(o, "sql_ns");
	if (!json_object_object_get_ex(o, "hist_us_log2", &h) ||
	    !json_object_is_type(h, json_type_array))
		return;
	n = json_object_array_length(h);
	for (i = 0; i < n && i < GFS_TRACE_HIST; i++)
		out->hist[i] =
			json_object_get_uint64(json_object_array_get_idx(h, i));
}
