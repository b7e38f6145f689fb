# Time per trial of MASS::glm.nb on trials like benchmarks/bench_rates.py "uniform" (200 patients, follow-up
# uniform on 0.4-1.0 years, NB dispersion 0.5, rate ratio 0.75).  Run once: Rscript benchmarks/glmnb_time.R
# Result recorded in bench_rates.R_GLMNB_MS_PER_TRIAL.
suppressMessages(library(MASS))
set.seed(1)
n <- 200; K <- 300
tr <- rep(0:1, each = 100)
fits <- vector("list", K)
dat <- lapply(1:K, function(i) { t <- runif(n, 0.4, 1); y <- rpois(n, rgamma(n, 2, 2) * t * ifelse(tr == 1, 0.75, 1)); data.frame(y = y, tr = tr, t = t) })
invisible(glm.nb(y ~ tr + offset(log(t)), data = dat[[1]]))
st <- system.time(for (i in 1:K) suppressWarnings(glm.nb(y ~ tr + offset(log(t)), data = dat[[i]])))
cat(sprintf("glm.nb ms per trial: %.3f (elapsed %.2f s for %d)\n", 1000 * st[["elapsed"]] / K, st[["elapsed"]], K))
