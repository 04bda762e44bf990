#include "mflab/landscape.h"

#include <stdlib.h>

double mf_landscape_value(const mf_landscape *L, const double *z) {
    double f;
    L->type->value(L, 1, z, 1, &f);
    return f;
}

void mf_landscape_grad(const mf_landscape *L, const double *z, double *g) {
    L->type->grad(L, 1, z, 1, g, 1);
}

void mf_landscape_hess(const mf_landscape *L, const double *z, double *h) {
    L->type->hess(L, 1, z, 1, h, 1);
}

int mf_landscape_project(const mf_landscape *L, const double *z, double *pz, mf_err *err) {
    if (!L->type->project)
        return mf_err_set(err, MF_EUNSUPPORTED, "landscape '%s' has no projection onto its manifold",
                          L->type->name);
    L->type->project(L, 1, z, 1, pz, 1);
    return MF_OK;
}

void mf_landscape_free(mf_landscape *L) {
    if (!L) return;
    if (L->type->destroy) L->type->destroy(L);
    free(L->params);
    free(L);
}
