#include "sensor/sql/analyzer.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "common/metrics.h"
#include "sensor/sql/classifier.h"
#include "sensor/sql/fingerprint.h"
#include "sensor/sql/injection.h"
#include "sensor/sql/pg_parse.h"

namespace dbaudit::sensor::sql {

namespace {

struct Counters {
  Counter* statements;
  Counter* cache_hits;
  Counter* cache_evictions;
  Counter* flagged;
  Counter* unparsed;
  Counter* truncated;
  Counter* redacted;
};

const Counters& GetCounters() {
  static const Counters c = [] {
    MetricsRegistry& r = MetricsRegistry::Default();
    return Counters{
        r.GetCounter("dbaudit_sql_statements_total", "Statements analysed"),
        r.GetCounter("dbaudit_sql_cache_hits_total", "Analyses served from the fingerprint cache"),
        r.GetCounter("dbaudit_sql_cache_evictions_total", "Cached analyses dropped by the bound"),
        r.GetCounter("dbaudit_sql_injection_flagged_total", "Statements with injection signals"),
        r.GetCounter("dbaudit_sql_unparsed_total", "Statements that failed to lex or parse"),
        r.GetCounter("dbaudit_sql_truncated_total", "Statements analysed on a prefix only"),
        r.GetCounter("dbaudit_sql_redacted_total", "Statements whose secrets were redacted"),
    };
  }();
  return c;
}

struct Entry {
  Analysis analysis;
  uint32_t aux = 0;
  uint64_t spelling = 0;
};

// Everything besides the fingerprint text that can change an analysis.
uint32_t AuxKey(const LexOptions& o, uint32_t features) {
  return features | (o.dialect == Dialect::kPostgresql ? 1u << 16 : 0) |
         (o.standard_conforming_strings ? 1u << 17 : 0) | (o.ansi_quotes ? 1u << 18 : 0) |
         (o.no_backslash_escapes ? 1u << 19 : 0);
}

uint64_t CacheKey(uint64_t fingerprint_id, uint32_t aux, uint64_t spelling) {
  return fingerprint_id ^ (0x9e3779b97f4a7c15ull * (static_cast<uint64_t>(aux) + 1)) ^
         (spelling * 0xc2b2ae3d27d4eb4full);
}

void RemoveComments(std::vector<Token>* tokens) {
  tokens->erase(std::remove_if(tokens->begin(), tokens->end(),
                               [](const Token& t) { return t.kind == TokenKind::kComment; }),
                tokens->end());
}

}  // namespace

struct Analyzer::Impl {
  explicit Impl(size_t max_entries) : generation_size(max_entries / 2), counters(GetCounters()) {}

  const Analysis& Analyze(const LexOptions& options, std::string_view sql);
  const Analysis& Lookup(const LexOptions& options, std::string_view sql);
  void AnalyzeCold(const LexOptions& options, std::string_view sql, Analysis* a);
  void BuildViews(const LexOptions& options, std::string_view sql,
                  std::vector<std::vector<Token>>* storage, std::vector<Classification>* classes,
                  std::vector<StatementView>* views);
  void Insert(uint64_t key, std::unique_ptr<Entry> entry);

  size_t generation_size;
  const Counters& counters;
  absl::flat_hash_map<uint64_t, std::unique_ptr<Entry>> young, old;
  FastPass fast;
  Entry uncached;  // result storage when the cache is disabled
};

const Analysis& Analyzer::Impl::Analyze(const LexOptions& options, std::string_view sql) {
  const Analysis& a = Lookup(options, sql);
  counters.statements->Add();
  if (a.injection_score > 0) counters.flagged->Add();
  if (!a.injection_signals.empty() && a.injection_signals.back() == "unparsed") {
    counters.unparsed->Add();
  }
  return a;
}

const Analysis& Analyzer::Impl::Lookup(const LexOptions& options, std::string_view sql) {
  RunFastPass(sql, options, &fast);
  const uint64_t id = FingerprintId(fast.fingerprint);
  const uint32_t aux = AuxKey(options, fast.features);
  const uint64_t key = CacheKey(id, aux, fast.spelling_hash);
  auto matches = [&](const Entry& e) {
    return e.aux == aux && e.spelling == fast.spelling_hash &&
           e.analysis.fingerprint == fast.fingerprint;
  };
  if (auto it = young.find(key); it != young.end() && matches(*it->second)) {
    counters.cache_hits->Add();
    return it->second->analysis;
  }
  if (auto it = old.find(key); it != old.end() && matches(*it->second)) {
    counters.cache_hits->Add();
    std::unique_ptr<Entry> e = std::move(it->second);
    old.erase(it);
    Entry* raw = e.get();
    Insert(key, std::move(e));
    return raw->analysis;
  }
  auto entry = std::make_unique<Entry>();
  entry->aux = aux;
  entry->spelling = fast.spelling_hash;
  entry->analysis.fingerprint_id = id;
  AnalyzeCold(options, sql, &entry->analysis);
  entry->analysis.fingerprint = fast.fingerprint;
  if (generation_size == 0) {
    uncached = std::move(*entry);
    return uncached.analysis;
  }
  Entry* raw = entry.get();
  Insert(key, std::move(entry));
  return raw->analysis;
}

void Analyzer::Impl::Insert(uint64_t key, std::unique_ptr<Entry> entry) {
  if (young.size() >= generation_size) {
    counters.cache_evictions->Add(old.size());
    old = std::move(young);
    young = {};
  }
  young[key] = std::move(entry);
}

// One view per statement: the fast pass's tokens for a single statement, else the pieces of the
// splitter (stored-program bodies stay whole) lexed again. `storage` owns the pieces' tokens.
void Analyzer::Impl::BuildViews(const LexOptions& options, std::string_view sql,
                                std::vector<std::vector<Token>>* storage,
                                std::vector<Classification>* classes,
                                std::vector<StatementView>* views) {
  std::vector<std::string_view> pieces;
  if (fast.multi_statement) pieces = SplitStatements(options, sql);
  classes->resize(std::max<size_t>(1, pieces.size()));
  if (pieces.size() <= 1) {
    views->push_back({TokenSpan(sql, fast.tokens.data(),
                                std::min(fast.tokens.size(), kMaxAnalyzedTokens), options.dialect),
                      &(*classes)[0]});
    return;
  }
  storage->resize(pieces.size());
  for (size_t k = 0; k < pieces.size(); ++k) {
    Tokenize(pieces[k], options, &(*storage)[k]);
    RemoveComments(&(*storage)[k]);
    views->push_back({TokenSpan(pieces[k], (*storage)[k].data(),
                                std::min((*storage)[k].size(), kMaxAnalyzedTokens),
                                options.dialect),
                      &(*classes)[k]});
  }
}

namespace {

void MergeObjects(const std::vector<Classification>& classes, std::vector<OperatedObject>* out) {
  for (const Classification& c : classes) {
    for (const ObjectRef& o : c.objects) {
      const auto same = [&](const OperatedObject& x) {
        return x.schema_name == o.object.schema_name && x.table_name == o.object.table_name &&
               x.column_name == o.object.column_name && x.object_type == o.object.object_type &&
               x.sql_type == o.object.sql_type;
      };
      if (std::none_of(out->begin(), out->end(), same)) out->push_back(o.object);
    }
  }
}

}  // namespace

void Analyzer::Impl::AnalyzeCold(const LexOptions& options, std::string_view sql, Analysis* a) {
  const bool truncated = (fast.features & kFeatTruncated) != 0;
  if (truncated) {
    counters.truncated->Add();
    sql = sql.substr(0, kMaxAnalyzedBytes);
  }
  std::vector<std::vector<Token>> storage;
  std::vector<Classification> classes;
  std::vector<StatementView> views;
  BuildViews(options, sql, &storage, &classes, &views);
  std::vector<std::vector<uint32_t>> parens(views.size());
  for (size_t k = 0; k < views.size(); ++k) views[k].tokens.MatchParens(&parens[k]);
  for (size_t k = 0; k < views.size(); ++k) Classify(views[k].tokens, &classes[k]);
  a->query_type = classes[0].query_type;
  MergeObjects(classes, &a->objects);
  InjectionResult inj;
  DetectInjection(views, fast.features, &inj);
  // The server grammar, only where it pays (see pg_parse.h): suspicious or unknown statements.
  if (options.dialect == Dialect::kPostgresql && PgParserAvailable() && !truncated &&
      (inj.score > 0 || a->query_type == "OTHER") && !PgParse(sql).ok) {
    inj.Add("unparsed", 20);
  }
  a->injection_score = inj.score;
  a->injection_signals = std::move(inj.signals);
}

Analyzer::Analyzer(size_t max_cache_entries) : impl_(std::make_unique<Impl>(max_cache_entries)) {}
Analyzer::~Analyzer() = default;

Analysis Analyzer::Analyze(Dialect dialect, std::string_view sql) {
  LexOptions options;
  options.dialect = dialect;
  return impl_->Analyze(options, sql);
}

Analysis Analyzer::Analyze(const LexOptions& options, std::string_view sql) {
  return impl_->Analyze(options, sql);
}

const Analysis& Analyzer::AnalyzeCached(const LexOptions& options, std::string_view sql) {
  return impl_->Analyze(options, sql);
}

}  // namespace dbaudit::sensor::sql
