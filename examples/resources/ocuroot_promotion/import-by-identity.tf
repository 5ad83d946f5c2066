# A phase approval: its release and phase. A deployment promotion names
# deployment instead of phase.
import {
  to = ocuroot_promotion.web_prod_approval[0]
  identity = {
    release = "web@2.0.0"
    phase   = "prod"
  }
}
