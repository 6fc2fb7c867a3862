// plan.cpp: one file request planned in the RFC's order.
#include "files/plan.hpp"

namespace lesto::http {

FilePlan::Headers FilePlan::headers() const noexcept {
    Headers h;
    const auto add = [&h](std::string_view name, std::string_view value) {
        h.items[h.count++] = {name, value};
    };
    const std::string_view content_range(content_range_, content_range_size_);
    switch (status) {
    case 200:
    case 206:
        add("ETag", validators_.etag());
        if (validators_.has_last_modified()) add("Last-Modified", validators_.last_modified());
        add("Accept-Ranges", "bytes");
        if (status == 206) add("Content-Range", content_range);
        break;
    case 304:
        add("ETag", validators_.etag());
        break;
    case 416:
        add("Content-Range", content_range);
        break;
    case 405:
        add("Allow", file_methods);
        break;
    default:
        break;
    }
    return h;
}

FilePlan plan_file_response(std::string_view method, const Conditions& conditions,
                            const FileFacts& file, std::int64_t now) noexcept {
    FilePlan plan(file, now);
    const bool get = method == "GET";
    if (!get && method != "HEAD") {
        plan.status = 405;
        return plan;
    }
    switch (evaluate_preconditions(conditions, plan.validators_, true, now)) {
    case Precondition::not_modified:
        plan.status = 304;
        return plan;
    case Precondition::precondition_failed:
        plan.status = 412;
        return plan;
    case Precondition::passed:
        break;
    }
    plan.status = 200;
    plan.length = file.size;
    // RFC 9110 14.2: Range only for GET; a singleton field sent twice is
    // not one range. 13.1.5: If-Range without Range is ignored.
    if (!get || conditions.range.count != 1) return plan;
    if (conditions.if_range.present() && !if_range_holds(conditions, plan.validators_, now))
        return plan;
    const RangeResult range = parse_range(conditions.range.value, file.size);
    switch (range.kind) {
    case RangeKind::ignore:
        break;
    case RangeKind::satisfiable:
        plan.status = 206;
        plan.offset = range.offset;
        plan.length = range.length;
        plan.content_range_size_ = format_content_range(range, file.size, plan.content_range_);
        break;
    case RangeKind::unsatisfiable:
        plan.status = 416;
        plan.length = 0;
        plan.content_range_size_ = format_unsatisfied_range(file.size, plan.content_range_);
        break;
    }
    return plan;
}

}  // namespace lesto::http
