"""The Firefly Task API's enumerations, with the same member names and values as the official client.

This module is a leaf: the SDK, the service and the engine all import it, and it imports nothing of
the project. Which values a given problem type may use is decided by the engine (see
``firefly_widgets.engine.options``), not here; the ``ALL_*`` helpers of the official client are kept for
code written against it.
"""

from __future__ import annotations

from enum import Enum

__all__ = [
    "CVStrategy",
    "Estimator",
    "FeatureType",
    "InterpretabilityLevel",
    "Pipeline",
    "ProblemType",
    "SplittingStrategy",
    "TargetMetric",
    "ValidationStrategy",
    "LOWER_IS_BETTER",
    "TIMESERIES_PROBLEMS",
    "CLASSIFICATION_LIKE",
]


class ProblemType(Enum):
    CLASSIFICATION = "classification"
    REGRESSION = "regression"
    ANOMALY_DETECTION = "anomaly_detection"
    TIMESERIES_CLASSIFICATION = "classification_timeseries"
    TIMESERIES_REGRESSION = "regression_timeseries"
    TIMESERIES_ANOMALY_DETECTION = "anomaly_timeseries"


#: Problem types whose target is a class label.
CLASSIFICATION_LIKE = frozenset({
    "classification", "anomaly_detection", "classification_timeseries", "anomaly_timeseries",
})
#: Problem types whose rows are ordered in time.
TIMESERIES_PROBLEMS = frozenset({"classification_timeseries", "regression_timeseries", "anomaly_timeseries"})


class Estimator(Enum):
    LIGHT_GRADIENT_BOOSTING = "light_gradient_boosting"
    LIBSVM_SVR = "libsvm_svr"
    ADABOOST = "adaboost"
    XGRADIENT_BOOSTING = "xgradient_boosting"
    RANSAC = "ransac"
    LARS = "lars"
    LIBLINEAR_SVR = "liblinear_svr"
    K_NEAREST_NEIGHBORS = "k_nearest_neighbors"
    RANDOM_FOREST = "random_forest"
    BERNOULLI_NB = "bernoulli_nb"
    LOGREG = "logreg"
    CAT_BOOST = "cat_boost"
    ANOMALY_HIST = "anomaly_hist"
    BAYESIAN_RIDGE = "bayesian_ridge"
    GRADIENT_BOOSTING = "gradient_boosting"
    GAUSSIAN_PROCESS = "gaussian_process"
    LIBLINEAR_SVC = "liblinear_svc"
    MULTINOMIAL_NB = "multinomial_nb"
    DECISION_TREE = "decision_tree"
    EXPONENTIAL_SMOOTHING = "exponential_smoothing"
    BART = "bart"
    ANOMALY_GMM = "anomaly_gmm"
    NN_KERAS_SEQUENTIAL = "nn_keras_sequential"
    LDA = "lda"
    PROJ_LOGIT = "proj_logit"
    ELASTIC_NET = "elastic_net"
    ARIMA = "arima"
    SGD = "sgd"
    QDA = "qda"
    LIBSVM_SVC = "libsvm_svc"
    EXTRA_TREES = "extra_trees"
    COMPLEMENT_NB = "complement_nb"
    RIDGE_REGRESSION = "ridge_regression"
    GAUSSIAN_NB = "gaussian_nb"
    RIDGE_CLASSIFICATION = "ridge_classification"
    AVERAGE_ESTIMATOR = "average_estimator"
    ANOMALY_ISOF = "anomaly_isof"
    PASSIVE_AGGRESSIVE = "passive_aggressive"


class FeatureType(Enum):
    CATEGORICAL = "categorical"
    NUMERICAL = "numerical"
    TEXT = "text"
    DATETIME = "datetime"


class TargetMetric(Enum):
    F2 = "f2"
    ACCURACY = "accuracy"
    MAE = "mae"
    NORMALIZED_MAE = "normalized_mae"
    MEDIAN_AE = "median_ae"
    MAPE = "mape"
    RMSLE = "rmsle"
    COST_METRIC = "cost_metric"
    MSE = "mse"
    RMSE = "rmse"
    NORMALIZED_MSE = "normalized_mse"
    MAE_DISCRETE = "mae_discrete"
    RMSPE = "rmspe"
    NORMALIZED_RMSE = "normalized_rmse"
    RECALL_MACRO = "recall_macro"
    NORMALIZED_GINI = "normalized_gini"
    SIGNED_SUM = "signed_sum"
    F1 = "f1"
    LOG_LOSS = "log_loss"
    AUC = "auc"
    R2 = "r2"
    R1 = "r1"
    JACCARD = "jaccard"
    NORMALIZED_MUTUAL_INFO = "normalized_mutual_info"


#: Metrics that are errors or costs: smaller is better. Every other metric is a score: larger is better.
LOWER_IS_BETTER = frozenset({
    "mae", "normalized_mae", "median_ae", "mape", "rmsle", "cost_metric", "mse", "rmse", "normalized_mse",
    "mae_discrete", "rmspe", "normalized_rmse", "log_loss", "signed_sum",
})


class InterpretabilityLevel(Enum):
    PRECISE = 0
    STANDARD = 0
    STANDARD_WITH_EXPLAINABILITY = 1
    EXPLAINABLE = 2
    SIMPLE_WITH_EXPLAINABILITY = 2
    LEAKAGE_DETECTION = 3


class SplittingStrategy(Enum):
    STRATIFIED = "stratified"
    SHUFFLED = "shuffled"
    TIME_ORDER = "time_order"


class ValidationStrategy(Enum):
    HOLDOUT = "holdout"
    CROSS_VALIDATION = "cv"


class CVStrategy(Enum):
    AVERAGE_MODELS = "average_models"
    LAST_MODEL = "last_model"


class Pipeline(Enum):
    DATA_CLEANING_POST_IMPUTATION = "data_cleaning_post_imputation"
    TIME_SERIES_AUTO_FEATURES = "time_series_auto_features"
    FEATURE_EMBEDDING = "feature_embedding"
    FEATURE_SELECTION = "feature_selection"
    DATA_CLEANING_PRE_IMPUTATION = "data_cleaning_pre_imputation"
    IMPUTATION = "imputation"
    TEXT_PREPROCESSING = "text_preprocessing"
    FEATURE_ENGINEERING = "feature_engineering"
    FEATURE_STACKING = "feature_stacking"
    ESTIMATOR = "estimator"
    BALANCING = "balancing"
    AUTO_SAMPLE_GENERATION = "auto_sample_generation"
