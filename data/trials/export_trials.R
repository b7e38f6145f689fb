# Exports two recurrent-event trials of R's survival package to lupusstats' patients/flares CSVs.
# Run from the repository root:  Rscript data/trials/export_trials.R
# Writes data/trials/{cgd,bladder}_{patients,flares}.csv (do not edit those files by hand).
#
# cgd:     International Chronic Granulomatous Disease Cooperative Study Group, N Engl J Med
#          1991;324:509-16 (doi:10.1056/NEJM199102213240801); data as in Fleming & Harrington,
#          Counting Processes and Survival Analysis (Wiley 1991), appendix D.2.  Events: serious
#          infections (hospitalisation and parenteral antibiotics); times in days since randomisation.
# bladder: Veterans Administration Cooperative Urological Research Group (Byar 1980), the 85 patients
#          of the placebo and thiotepa arms with non-zero follow-up and their first four recurrences,
#          as analysed by Wei, Lin & Weissfeld, JASA 1989;84:1065-73 (survival's `bladder2`); times
#          in months.
# The survival package (and its data) is licensed LGPL (>= 2).
#
# Rules: one patients row per id (arm, follow-up = the end of the last interval), one flares row per
# interval ending in an event (time = its stop).  Times in years: days / 365.25 (cgd), months / 12
# (bladder).  Neither trial recorded a severity grade, so the flares tables carry no severity column
# (lupusstats then leaves the severity endpoints out and says so) instead of an invented grade.
suppressPackageStartupMessages(library(survival))

write_trial <- function(name, d, arm, patient_extra, unit_per_year) {
  first <- !duplicated(d$id)
  last <- rev(!duplicated(rev(d$id)))
  patients <- data.frame(patient = d$id[first], arm = arm[first])
  patients$followup_years <- d$stop[last][match(patients$patient, d$id[last])] / unit_per_year
  patients <- cbind(patients, d[first, patient_extra, drop = FALSE])
  ev <- d$event == 1
  flares <- data.frame(patient = d$id[ev], time_years = d$stop[ev] / unit_per_year)
  write.csv(patients, sprintf("data/trials/%s_patients.csv", name), row.names = FALSE, quote = TRUE)
  write.csv(flares, sprintf("data/trials/%s_flares.csv", name), row.names = FALSE, quote = TRUE)
}

options(digits = 15)
cgd_d <- data.frame(id = cgd$id, start = cgd$tstart, stop = cgd$tstop, event = cgd$status,
                    center = as.character(cgd$center), sex = as.character(cgd$sex), age = cgd$age,
                    inherit = as.character(cgd$inherit), steroids = cgd$steroids, propylac = cgd$propylac)
write_trial("cgd", cgd_d, ifelse(cgd$treat == "rIFN-g", "interferon gamma", "placebo"),
            c("center", "sex", "age", "inherit", "steroids", "propylac"), 365.25)
bl <- bladder2
bl_d <- data.frame(id = bl$id, start = bl$start, stop = bl$stop, event = bl$event,
                   initial_tumours = bl$number, largest_tumour_cm = bl$size)
write_trial("bladder", bl_d, ifelse(bl$rx == 1, "placebo", "thiotepa"), c("initial_tumours", "largest_tumour_cm"), 12)
